// cdpsession's helper extension. Python drives it with Runtime.evaluate on this worker's
// CDP session; capabilities that need extension APIs add their permissions and functions here.
// Python receives calls through bindings it adds on this worker (Runtime.addBinding) when it
// starts listening; listeners are registered at top level, as MV3 requires.
"use strict";

// Cookie changes of the whole profile (pages, HTTP, CDP), while Python watches: the listener
// is added only then, since Chromium dispatches every cookie change to a listening extension
// (about 0.2 ms each on 1,000 sets). Its worker is kept alive by Python's DevTools session.
function forwardCookieChange(info) {
  if (typeof self.cdpsessionCookieChanged === "function") {
    self.cdpsessionCookieChanged(JSON.stringify(info));
  }
}

// Authentication challenges (a site's 401, a proxy's 407) of every request of the profile.
// While Python handles them (authWanted), each waits for its answer; otherwise it is
// cancelled, as Electron does without a login handler: the request gets the 401 or 407
// response (headless Chromium alone fails navigations and leaves fetches waiting forever).
const pendingAuth = new Map();
let authSequence = 0;
chrome.webRequest.onAuthRequired.addListener(
  (details, callback) => {
    if (!self.cdpsession.authWanted || typeof self.cdpsessionAuthRequired !== "function") {
      callback({ cancel: true });
      return;
    }
    const id = ++authSequence;
    pendingAuth.set(id, callback);
    self.cdpsessionAuthRequired(JSON.stringify({
      id,
      url: details.url,
      tabId: details.tabId,
      isProxy: details.isProxy,
      host: details.challenger.host,
      port: details.challenger.port,
      scheme: details.scheme,
      realm: details.realm || "",
    }));
  },
  { urls: ["<all_urls>"] },
  ["asyncBlocking"],
);

// Errors of this worker's own requests (Session.fetch), which fetch() reports only as
// "Failed to fetch": the net error of each, by URL, kept briefly.
const fetchErrors = [];
chrome.webRequest.onErrorOccurred.addListener(
  (details) => {
    if (details.initiator !== self.location.origin) return;
    fetchErrors.push({ url: details.url, error: details.error, at: Date.now() });
    if (fetchErrors.length > 100) fetchErrors.shift();
  },
  { urls: ["<all_urls>"], tabId: -1 },
);

function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

async function sessionFetch(spec) {
  const started = Date.now();
  const init = {
    method: spec.method,
    headers: spec.headers,
    credentials: spec.credentials,
    // A redirect Python must refuse (Electron's "manual" and "error") stops here.
    redirect: spec.redirect === "follow" ? "follow" : "manual",
    cache: spec.cache,
  };
  if (spec.body !== null) init.body = Uint8Array.from(atob(spec.body), (c) => c.charCodeAt(0));
  try {
    const response = await fetch(spec.url, init);
    if (response.type === "opaqueredirect") return { refusedRedirect: true };
    const body = new Uint8Array(await response.arrayBuffer());
    return {
      status: response.status,
      statusText: response.statusText,
      headers: [...response.headers],
      url: response.url,
      redirected: response.redirected,
      body: toBase64(body),
    };
  } catch (error) {
    // Chromium reports the request's error to webRequest around the time fetch() rejects.
    for (let waited = 0; waited < 200; waited += 10) {
      const found = fetchErrors.filter((e) => e.at >= started - 1);
      const exact = found.filter((e) => e.url === spec.url);
      const hit = (exact.length ? exact : found).pop();
      if (hit) return { error: hit.error, message: String(error) };
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { error: "net::ERR_FAILED", message: String(error) };
  }
}

self.cdpsession = {
  version: 1,
  authWanted: false,
  // chrome.browsingData.remove: Chromium's BrowsingDataRemover, with origin filters at the
  // registrable-domain level for cookies (what Electron's clearData uses).
  removeBrowsingData: (options, dataTypes) => chrome.browsingData.remove(options, dataTypes),
  // The answer to challenge `id`: {authCredentials: {username, password}} or {cancel: true}.
  answerAuth: (id, answer) => {
    const callback = pendingAuth.get(id);
    pendingAuth.delete(id);
    if (callback) callback(answer);
    return callback !== undefined;
  },
  // The DevTools target id of a tab (chrome.debugger reads it without attaching).
  targetOfTab: async (tabId) => {
    const targets = await chrome.debugger.getTargets();
    const found = targets.find((t) => t.tabId === tabId && t.type === "page");
    return found ? found.id : null;
  },
  watchCookies: () => {
    if (!chrome.cookies.onChanged.hasListener(forwardCookieChange)) {
      chrome.cookies.onChanged.addListener(forwardCookieChange);
    }
  },
  // fetch() with the profile's cookies, proxy and network stack (Session.fetch).
  fetch: sessionFetch,
  // chrome.proxy for the profile (scope "regular": this profile is this session).
  setProxy: (value) => chrome.proxy.settings.set({ value, scope: "regular" }),
};
