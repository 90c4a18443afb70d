import trio

import cdpsession
from tests.integration.conftest import Server


async def test_open_page_loads_and_evaluates(app: cdpsession.App, server: Server) -> None:
    server.html("/", "<title>t</title><p>hello</p>")
    with trio.fail_after(30):
        page = await app.session.default_session.open_page(server.url("/"))
        assert await page.execute_java_script("document.title") == "t"
        assert page.get_url() == server.url("/")
