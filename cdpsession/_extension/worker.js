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
  // chrome.proxy for the profile (scope "regular": this profile is this session).
  setProxy: (value) => chrome.proxy.settings.set({ value, scope: "regular" }),
};
