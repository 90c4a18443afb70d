// cdpsession's helper extension. Python drives it with Runtime.evaluate on this worker's
// CDP session; capabilities that need extension APIs add their permissions and functions here.
"use strict";

// Cookie changes of the whole profile (pages, HTTP, CDP) are forwarded to Python through a
// binding that Python adds on this worker (Runtime.addBinding) when it starts watching;
// changes before that are nobody's concern. Registered at top level, as MV3 requires.
chrome.cookies.onChanged.addListener((info) => {
  if (typeof self.cdpsessionCookieChanged === "function") {
    self.cdpsessionCookieChanged(JSON.stringify(info));
  }
});

self.cdpsession = {
  version: 1,
  // chrome.browsingData.remove: Chromium's BrowsingDataRemover, with origin filters at the
  // registrable-domain level for cookies (what Electron's clearData uses).
  removeBrowsingData: (options, dataTypes) => chrome.browsingData.remove(options, dataTypes),
};
