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

// Downloads (Session "will-download", DownloadItem): every download of the profile has one
// owner, this worker. Python binds cdpsessionDownload and calls downloadsAttach(); until then
// what happens is queued. Each download is named by Python in onDeterminingFilename (a file
// in the profile's download folder, moved to its save path by Python on completion).
const downloadQueue = [];
let downloadsAttached = false;
const downloadTokens = new Map(); // url -> tokens of the downloads Python started
const downloadToken = new Map(); // download id -> token
const downloadLast = new Map(); // download id -> the last snapshot posted (JSON)
const downloadResponses = []; // recent responses that may be downloads: url, chain, headers
const redirectChains = new Map(); // webRequest requestId -> URLs so far
const pendingNames = new Map(); // download id -> suggest() of onDeterminingFilename
let downloadTimer = null;

function postDownload(message) {
  if (downloadsAttached && typeof self.cdpsessionDownload === "function") {
    self.cdpsessionDownload(JSON.stringify(message));
  } else {
    downloadQueue.push(message);
  }
}

function downloadSnapshot(item) {
  return {
    id: item.id,
    url: item.url,
    finalUrl: item.finalUrl,
    filename: item.filename,
    mime: item.mime,
    state: item.state,
    paused: item.paused,
    canResume: item.canResume,
    error: item.error || null,
    bytesReceived: item.bytesReceived,
    totalBytes: item.totalBytes,
    startTime: item.startTime,
    endTime: item.endTime || null,
    referrer: item.referrer || "",
    exists: item.exists,
  };
}

// The response a page's download came from, taken once (an older view of the same URL
// must not lend its headers to a later download).
function takeResponse(url) {
  for (let i = downloadResponses.length - 1; i >= 0; i--) {
    if (downloadResponses[i].url === url) return downloadResponses.splice(i, 1)[0];
  }
  return null;
}

function normalUrl(url) {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

async function refreshDownload(id) {
  const [item] = await chrome.downloads.search({ id });
  if (!item) return;
  const snapshot = downloadSnapshot(item);
  const text = JSON.stringify(snapshot);
  if (downloadLast.get(id) === text) return;
  downloadLast.set(id, text);
  postDownload({ kind: "changed", item: snapshot });
  if (item.state !== "in_progress") {
    downloadLast.delete(id);
    downloadToken.delete(id);
  }
}

// Chromium reports received bytes to extensions only when asked: poll while any runs.
async function pollDownloads() {
  const running = await chrome.downloads.search({ state: "in_progress" });
  for (const item of running) await refreshDownload(item.id);
  if (running.length === 0 && downloadTimer !== null) {
    clearInterval(downloadTimer);
    downloadTimer = null;
  }
}

function startPolling() {
  if (downloadTimer === null) downloadTimer = setInterval(pollDownloads, 200);
}

chrome.webRequest.onBeforeRedirect.addListener(
  (details) => {
    const chain = redirectChains.get(details.requestId) || [details.url];
    chain.push(details.redirectUrl);
    redirectChains.set(details.requestId, chain);
  },
  { urls: ["<all_urls>"], types: ["main_frame", "sub_frame", "other"] },
);
chrome.webRequest.onResponseStarted.addListener(
  (details) => {
    const chain = redirectChains.get(details.requestId) || [details.url];
    redirectChains.delete(details.requestId);
    const headers = {};
    for (const h of details.responseHeaders || []) {
      const name = h.name.toLowerCase();
      if (name === "content-disposition" || name === "etag" || name === "last-modified") {
        headers[name] = h.value || "";
      }
    }
    downloadResponses.push({ url: details.url, chain, headers });
    if (downloadResponses.length > 64) downloadResponses.shift();
  },
  { urls: ["<all_urls>"], types: ["main_frame", "sub_frame", "other"] },
  ["responseHeaders"],
);
chrome.webRequest.onErrorOccurred.addListener(
  (details) => redirectChains.delete(details.requestId),
  { urls: ["<all_urls>"], types: ["main_frame", "sub_frame", "other"] },
);

function takeToken(url) {
  const key = normalUrl(url);
  const tokens = downloadTokens.get(key);
  if (!tokens || !tokens.length) return null;
  const token = tokens.shift();
  if (!tokens.length) downloadTokens.delete(key);
  return token;
}

chrome.downloads.onCreated.addListener((item) => {
  const token = takeToken(item.url);
  if (token !== null) downloadToken.set(item.id, token);
  startPolling();
});

chrome.downloads.onDeterminingFilename.addListener((item, suggest) => {
  const token = downloadToken.get(item.id) ?? null;
  // chrome.downloads.download's own requests are hidden from this webRequest: a response
  // seen for its URL was a page's, not this download's.
  const response = token === null ? takeResponse(item.finalUrl) || takeResponse(item.url) : null;
  pendingNames.set(item.id, suggest);
  postDownload({
    kind: "created",
    item: downloadSnapshot(item),
    token,
    chain: response ? response.chain : [item.url],
    headers: response ? response.headers : {},
  });
  return true; // Python suggests (downloadName) or cancels
});

chrome.downloads.onChanged.addListener((delta) => {
  refreshDownload(delta.id);
});

// Python-driven transfers (a created interrupted download resumed with a Range request):
// the body is streamed to Python in chunks; pause stops reading.
const transfers = new Map();

async function runTransfer(spec) {
  const controller = new AbortController();
  const transfer = { paused: Boolean(spec.paused), wake: null, controller };
  transfers.set(spec.id, transfer);
  const post = (message) => self.cdpsessionTransfer(JSON.stringify({ id: spec.id, ...message }));
  try {
    const response = await fetch(spec.url, {
      headers: spec.headers,
      credentials: "include",
      cache: "no-store",
      signal: controller.signal,
    });
    post({
      kind: "response",
      status: response.status,
      url: response.url,
      headers: [...response.headers],
    });
    const reader = response.body.getReader();
    for (;;) {
      while (transfer.paused) await new Promise((resolve) => (transfer.wake = resolve));
      const { done, value } = await reader.read();
      if (done) break;
      for (let i = 0; i < value.length; i += 1 << 20) {
        post({ kind: "data", data: toBase64(value.subarray(i, i + (1 << 20))) });
      }
    }
    post({ kind: "end" });
  } catch (error) {
    post({ kind: "error", message: String(error), aborted: controller.signal.aborted });
  } finally {
    transfers.delete(spec.id);
  }
}

// Pause or resume a download unless it has ended meanwhile: Python may not have heard
// yet, and Electron's pause() or resume() of a finished item does nothing.
async function settled(id, allowed, act) {
  const [item] = await chrome.downloads.search({ id });
  try {
    if (item && allowed(item)) await act();
  } catch (error) {
    const [now] = await chrome.downloads.search({ id });
    if (now && allowed(now)) throw error; // it still could: a real failure
  }
  await refreshDownload(id);
}

Object.assign(self.cdpsession, {
  downloadsAttach: () => {
    downloadsAttached = true;
    while (downloadQueue.length) postDownload(downloadQueue.shift());
  },
  // chrome.downloads.download: Session.downloadURL, WebContents.downloadURL.
  downloadStart: async (url, headers, token) => {
    const key = normalUrl(url);
    const list = downloadTokens.get(key) || [];
    list.push(token);
    downloadTokens.set(key, list);
    const drop = () => {
      const left = downloadTokens.get(key) || [];
      const at = left.indexOf(token);
      if (at >= 0) left.splice(at, 1);
      if (!left.length) downloadTokens.delete(key);
    };
    try {
      const id = await chrome.downloads.download({ url, headers, saveAs: false });
      if (!downloadToken.has(id)) {
        // Chromium named the URL otherwise than new URL() does: the id says it.
        downloadToken.set(id, token);
        drop();
      }
      return { id };
    } catch (error) {
      drop();
      return { error: String(error.message || error) };
    }
  },
  // The file a download is written to (relative to the profile's download folder).
  downloadName: (id, filename) => {
    const suggest = pendingNames.get(id);
    pendingNames.delete(id);
    if (suggest) suggest({ filename, conflictAction: "uniquify" });
    return suggest !== undefined;
  },
  downloadCancel: async (id) => {
    const suggest = pendingNames.get(id);
    pendingNames.delete(id);
    await chrome.downloads.cancel(id);
    if (suggest) suggest();
    await refreshDownload(id);
  },
  // Python may not have heard yet that a download ended: pausing or resuming it then is
  // Electron's no-op, not Chromium's "Download must be in progress".
  downloadPause: async (id) => {
    await settled(id, (item) => item.state === "in_progress", () => chrome.downloads.pause(id));
  },
  downloadResume: async (id) => {
    await settled(id, (item) => item.canResume, () => chrome.downloads.resume(id));
    startPolling();
  },
  downloadCancelRunning: async () => {
    const running = await chrome.downloads.search({ state: "in_progress" });
    await Promise.all(running.map((item) => chrome.downloads.cancel(item.id)));
  },
  downloadErase: async (id) => {
    downloadToken.delete(id);
    downloadLast.delete(id);
    await chrome.downloads.erase({ id });
  },
  transferStart: (spec) => {
    runTransfer(spec);
  },
  transferPause: (id, paused) => {
    const transfer = transfers.get(id);
    if (!transfer) return false;
    transfer.paused = paused;
    if (!paused && transfer.wake) transfer.wake();
    return true;
  },
  transferCancel: (id) => {
    const transfer = transfers.get(id);
    if (!transfer) return false;
    transfer.controller.abort();
    transfer.paused = false;
    if (transfer.wake) transfer.wake();
    return true;
  },
});
