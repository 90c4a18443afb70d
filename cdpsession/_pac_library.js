// The environment cdpsession runs PAC scripts in (QuickJS, see _pac.py): the helper
// functions Chromium gives a PAC script, with Chromium's results (Netscape's set as Chromium
// ships it, Microsoft's IPv6 extensions, alert). Written for cdpsession from the documented
// behaviour; no code was taken from a browser.
//
// Nothing here calls Python (QuickJS refuses that while a time limit is set). Name lookups read
// a per-run cache that Python fills: a name that is not there is recorded as missing and
// answered as a failed lookup; Python then resolves the missing names and runs the script
// again, as Chromium's tracing PAC resolver does (proxy_resolver_v8_tracing.cc). The clock is
// Python's too, so date and time ranges can be tested.
//
// Evaluating this file defines the helpers on the global object and yields the controller,
// a function(op, a, b) that only Python holds:
//   controller("begin", stateJson)  DNS answers, my addresses and the clock for one run
//   controller("call", url, host)   runs FindProxyForURL; '{"ok":true,"value":...}' or an error
//   controller("end")               '{"missing":[...],"my":bool,"myEx":bool,"alerts":[...]}'
(function (global) {
  "use strict";

  var MAX_ALERTS = 100;
  // Chromium answers at most 20 distinct names per run of FindProxyForURL; later lookups of
  // new names fail and the script goes on (ProxyResolverV8Tracing's kMaxUniqueResolveDnsPerExec).
  var MAX_NAMES_PER_RUN = 20;
  var MAX_ALERT_LENGTH = 1000;
  var state = null;

  function fresh(input) {
    return {
      dns: input.dns || {},
      dnsEx: input.dnsEx || {},
      my: input.my === undefined ? null : input.my,
      myEx: input.myEx === undefined ? null : input.myEx,
      now: input.now || 0,
      offset: input.offset || 0,
      missing: [],
      seen: {},
      looked: {},
      lookups: 0,
      wantMy: false,
      wantMyEx: false,
      alerts: []
    };
  }
  state = fresh({});

  // --- what Chromium's V8 has and this QuickJS lacks ---------------------------------------
  // PAC scripts run by Chromium see a recent V8: the built-ins added since ES2020 that
  // scripts use are defined here the same way (written for cdpsession from the standard).

  function define(object, name, value) {
    if (typeof object[name] === "undefined") {
      Object.defineProperty(object, name, {value: value, writable: true, configurable: true});
    }
  }

  function relativeIndex(length, index) {
    var n = Math.trunc(Number(index)) || 0;
    return n < 0 ? length + n : n;
  }

  function at(index) {
    var i = relativeIndex(this.length, index);
    return i < 0 || i >= this.length ? undefined : this[i];
  }

  define(Array.prototype, "at", at);
  define(String.prototype, "at", function (index) {
    var text = String(this);
    var i = relativeIndex(text.length, index);
    return i < 0 || i >= text.length ? undefined : text.charAt(i);
  });
  define(Object, "hasOwn", function (object, key) {
    return Object.prototype.hasOwnProperty.call(Object(object), key);
  });
  define(Array.prototype, "findLast", function (test, self) {
    for (var i = this.length - 1; i >= 0; i--) {
      if (test.call(self, this[i], i, this)) {
        return this[i];
      }
    }
    return undefined;
  });
  define(Array.prototype, "findLastIndex", function (test, self) {
    for (var i = this.length - 1; i >= 0; i--) {
      if (test.call(self, this[i], i, this)) {
        return i;
      }
    }
    return -1;
  });
  define(Array.prototype, "toSorted", function (compare) {
    return Array.prototype.slice.call(this).sort(compare);
  });
  define(Array.prototype, "toReversed", function () {
    return Array.prototype.slice.call(this).reverse();
  });
  define(Array.prototype, "toSpliced", function () {
    var copy = Array.prototype.slice.call(this);
    copy.splice.apply(copy, arguments);
    return copy;
  });
  define(Array.prototype, "with", function (index, value) {
    var i = relativeIndex(this.length, index);
    if (i < 0 || i >= this.length) {
      throw new RangeError("Invalid index : " + index);
    }
    var copy = Array.prototype.slice.call(this);
    copy[i] = value;
    return copy;
  });
  define(Object, "groupBy", function (items, key) {
    var groups = Object.create(null);
    var i = 0;
    for (var item of items) {
      var name = key(item, i++);
      (groups[name] = groups[name] || []).push(item);
    }
    return groups;
  });
  // V8 always has a console; in a PAC script its output goes nowhere.
  if (typeof global.console === "undefined") {
    var quiet = function () {};
    global.console = {
      log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet, trace: quiet,
      dir: quiet, table: quiet, assert: quiet, count: quiet, time: quiet, timeEnd: quiet
    };
  }

  function own(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  function isAscii(text) {
    return /^[\x00-\x7f]*$/.test(text);
  }

  function noteMissing(name) {
    if (!own(state.seen, name)) {
      state.seen[name] = true;
      state.missing.push(name);
    }
  }

  // --- IP literals (IPAddress::AssignFromIPLiteral) ------------------------------------------

  // One IPv4 number as the URL Standard reads it: 0x hex, leading 0 octal, else decimal.
  function ipv4Part(text) {
    if (text === "") {
      return null;
    }
    var digits = /^[0-9]+$/;
    var radix = 10;
    if (/^0[xX]/.test(text)) {
      text = text.slice(2);
      digits = /^[0-9a-fA-F]+$/;
      radix = 16;
    } else if (text.length > 1 && text.charAt(0) === "0") {
      text = text.slice(1);
      digits = /^[0-7]+$/;
      radix = 8;
    }
    if (text === "") {
      return 0;
    }
    return digits.test(text) ? parseInt(text, radix) : null;
  }

  // url::IPv4AddressToNumber: 1 to 4 parts, the last one filling the remaining bytes.
  function ipv4Bytes(text) {
    var parts = text.split(".");
    if (parts.length > 1 && parts[parts.length - 1] === "") {
      parts.pop();
    }
    if (parts.length > 4) {
      return null;
    }
    var values = [];
    for (var i = 0; i < parts.length; i++) {
      var value = ipv4Part(parts[i]);
      if (value === null || (i < parts.length - 1 && value > 255)) {
        return null;
      }
      values.push(value);
    }
    var last = values[values.length - 1];
    if (last >= Math.pow(256, 5 - values.length)) {
      return null;
    }
    var bytes = [];
    for (var j = 0; j < values.length - 1; j++) {
      bytes.push(values[j]);
    }
    var tail = [];
    for (var k = values.length - 1; k < 4; k++) {
      tail.unshift(last % 256);
      last = Math.floor(last / 256);
    }
    return bytes.concat(tail);
  }

  // The bytes of an IP literal (IPv6 unbracketed), or null.
  function ipLiteralBytes(text) {
    if (!isAscii(text)) {
      return null;
    }
    return text.indexOf(":") >= 0 ? ipv6Bytes(text) : ipv4Bytes(text);
  }

  /*IP_FUNCTIONS*/

  // ParseCIDRBlock: "<IP literal>/<bits>", whitespace around either part allowed.
  function parseCidr(text) {
    var parts = text.split("/");
    if (parts.length !== 2) {
      return null;
    }
    var address = ipLiteralBytes(parts[0].trim());
    var bits = parts[1].trim();
    if (address === null || !/^[0-9]+$/.test(bits) || parseInt(bits, 10) > address.length * 8) {
      return null;
    }
    return {bytes: address, bits: parseInt(bits, 10)};
  }

  function compareBytes(a, b) {
    if (a.length !== b.length) {
      return a.length > b.length ? -1 : 1; // IPv6 before IPv4
    }
    for (var i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) {
        return a[i] - b[i];
      }
    }
    return 0;
  }

  // --- name lookups, answered from the run's cache --------------------------------------------

  // Whether a lookup of `host` may go on: false past Chromium's limit of names per run.
  function mayLookUp(host) {
    if (own(state.looked, host)) {
      return true;
    }
    if (state.lookups >= MAX_NAMES_PER_RUN) {
      return false;
    }
    state.looked[host] = true;
    state.lookups++;
    return true;
  }

  // IPv4 only: the first address, else null (Chromium's table: "dnsResolve() ... null").
  function dnsResolve(host) {
    if (typeof host !== "string" || !mayLookUp(host)) {
      return null;
    }
    if (own(state.dns, host)) {
      return state.dns[host];
    }
    noteMissing(host);
    return null;
  }

  // Every address, IPv6 and IPv4, ';'-joined; "" when the name does not resolve. Chromium
  // returns undefined for a non-string argument.
  function dnsResolveEx(host) {
    if (typeof host !== "string") {
      return undefined;
    }
    if (!mayLookUp(host)) {
      return "";
    }
    if (own(state.dnsEx, host)) {
      return state.dnsEx[host];
    }
    noteMissing(host);
    return "";
  }

  function myIpAddress() {
    if (state.my === null) {
      state.wantMy = true;
      return "127.0.0.1";
    }
    return state.my;
  }

  function myIpAddressEx() {
    if (state.myEx === null) {
      state.wantMyEx = true;
      return "";
    }
    return state.myEx;
  }

  function isResolvable(host) {
    return dnsResolve(host) !== null;
  }

  function isResolvableEx(host) {
    return dnsResolveEx(host) != "";
  }

  // --- hosts and addresses ---------------------------------------------------------------------

  function isPlainHostName(host) {
    if (typeof host !== "string") {
      throw new TypeError("Requires 1 string parameter");
    }
    return host.indexOf(".") < 0 && ipLiteralBytes(host) === null;
  }

  function dnsDomainIs(host, domain) {
    var start = host.length - domain.length;
    return start >= 0 && host.substring(start) == domain;
  }

  function localHostOrDomainIs(host, hostdom) {
    if (host == hostdom) {
      return true;
    }
    var prefix = host + ".";
    return hostdom.substring(0, prefix.length) == prefix;
  }

  function dnsDomainLevels(host) {
    var count = 0;
    for (var i = 0; i < host.length; i++) {
      if (host.charAt(i) === ".") {
        count++;
      }
    }
    return count;
  }

  // A dotted quad of 1-3 digit decimal parts, each at most 255 (what isInNet accepts).
  function isValidIpAddress(text) {
    var parts = String(text).split(".");
    if (parts.length !== 4) {
      return false;
    }
    for (var i = 0; i < 4; i++) {
      if (!/^[0-9]{1,3}$/.test(parts[i]) || parseInt(parts[i], 10) > 255) {
        return false;
      }
    }
    return true;
  }

  // The address as a signed 32-bit number, each part taken modulo 256.
  function convert_addr(text) {
    var parts = String(text).split(".");
    var number = 0;
    for (var i = 0; i < 4; i++) {
      number = (number << 8) | (parts[i] & 0xff);
    }
    return number;
  }

  // pattern and mask must be dotted quads; a host that is not one is looked up (IPv4).
  function isInNet(host, pattern, mask) {
    if (!isValidIpAddress(pattern) || !isValidIpAddress(mask)) {
      return false;
    }
    var address = host;
    if (!isValidIpAddress(address)) {
      address = dnsResolve(address);
      if (address === null) {
        return false;
      }
    }
    var m = convert_addr(mask);
    return (convert_addr(address) & m) === (convert_addr(pattern) & m);
  }

  function isInNetEx(address, prefix) {
    if (typeof address !== "string" || typeof prefix !== "string") {
      return null;
    }
    if (!isAscii(address) || !isAscii(prefix)) {
      return false;
    }
    var bytes = ipLiteralBytes(address);
    var block = parseCidr(prefix);
    return bytes !== null && block !== null && matchesPrefix(bytes, block.bytes, block.bits);
  }

  // IPv6 addresses first, each family in ascending order; false if any entry is not an IP.
  function sortIpAddressList(list) {
    if (typeof list !== "string" || !isAscii(list)) {
      return null;
    }
    var cleaned = list.replace(/[ \t]/g, "");
    if (cleaned === "") {
      return false;
    }
    var entries = [];
    var tokens = cleaned.split(";");
    for (var i = 0; i < tokens.length; i++) {
      if (tokens[i] === "") {
        continue;
      }
      var bytes = ipLiteralBytes(tokens[i]);
      if (bytes === null) {
        return false;
      }
      entries.push({text: tokens[i], bytes: bytes, index: entries.length});
    }
    if (entries.length === 0) {
      return false;
    }
    entries.sort(function (a, b) {
      return compareBytes(a.bytes, b.bytes) || a.index - b.index;
    });
    var out = [];
    for (var j = 0; j < entries.length; j++) {
      out.push(entries[j].text);
    }
    return out.join(";");
  }

  // Shell-style match: '*' any run, '?' one character, '.' itself; every other character
  // keeps its regular-expression meaning, as in Chromium.
  function shExpMatch(text, pattern) {
    var source = "";
    for (var i = 0; i < pattern.length; i++) {
      var c = pattern.charAt(i);
      source += c === "." ? "\\." : c === "*" ? ".*" : c === "?" ? "." : c;
    }
    return new RegExp("^" + source + "$").test(text);
  }

  // --- dates and times -------------------------------------------------------------------------
  // Local time is modelled as a Date holding now + the UTC offset, read and written through the
  // UTC accessors, so Python's clock and time zone decide (the offset is the one at `now`).

  var wdays = {SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6};
  var months = {JAN: 0, FEB: 1, MAR: 2, APR: 3, MAY: 4, JUN: 5,
                JUL: 6, AUG: 7, SEP: 8, OCT: 9, NOV: 10, DEC: 11};

  function lookup(table, name) {
    return typeof name === "string" && own(table, name) ? table[name] : -1;
  }

  function localNow() {
    return new Date(state.now + state.offset);
  }

  function utcNow() {
    return new Date(state.now);
  }

  // Overwrite a local time's fields, one after the other, with its own UTC fields (each read
  // after the previous write, overflow included), as the classic PAC library does for "GMT".
  function toGmtFields(date) {
    function utc() {
      return new Date(date.getTime() - state.offset);
    }
    date.setUTCFullYear(utc().getUTCFullYear());
    date.setUTCMonth(utc().getUTCMonth());
    date.setUTCDate(utc().getUTCDate());
    date.setUTCHours(utc().getUTCHours());
    date.setUTCMinutes(utc().getUTCMinutes());
    date.setUTCSeconds(utc().getUTCSeconds());
    return date;
  }

  function inRange(from, to, now) {
    var a = from.getTime(), b = to.getTime(), t = now.getTime();
    return a <= b ? a <= t && t <= b : b >= t || t >= a;
  }

  function weekdayRange() {
    var count = arguments.length;
    if (count < 1) {
      return false;
    }
    var gmt = arguments[count - 1] == "GMT";
    if (gmt) {
      count--;
    }
    var today = (gmt ? utcNow() : localNow()).getUTCDay();
    var first = lookup(wdays, arguments[0]);
    var last = count === 2 ? lookup(wdays, arguments[1]) : first;
    if (first < 0 || last < 0) {
      return false;
    }
    return first <= last ? first <= today && today <= last : today >= first || today <= last;
  }

  function dateRange() {
    var count = arguments.length;
    if (count < 1) {
      return false;
    }
    var gmt = arguments[count - 1] == "GMT";
    if (gmt) {
      count--;
    }
    var local = localNow();
    if (count === 1) {
      var only = parseInt(arguments[0]);
      var now = gmt ? utcNow() : local;
      if (isNaN(only)) {
        return now.getUTCMonth() === lookup(months, arguments[0]);
      }
      return only < 32 ? now.getUTCDate() === only : now.getUTCFullYear() === only;
    }
    var year = local.getUTCFullYear();
    var from = new Date(Date.UTC(year, 0, 1, 0, 0, 0));
    var to = new Date(Date.UTC(year, 11, 31, 23, 59, 59));
    var half = count >> 1;
    var thisMonth = false;
    for (var i = 0; i < count; i++) {
      var target = i < half ? from : to;
      var value = parseInt(arguments[i]);
      if (isNaN(value)) {
        target.setUTCMonth(lookup(months, arguments[i]));
      } else if (value < 32) {
        if (i < half) {
          thisMonth = count <= 2;
        }
        target.setUTCDate(value);
      } else {
        target.setUTCFullYear(value);
      }
    }
    if (thisMonth) {
      from.setUTCMonth(local.getUTCMonth());
      to.setUTCMonth(local.getUTCMonth());
    }
    return inRange(from, to, gmt ? toGmtFields(local) : local);
  }

  function timeRange() {
    var args = arguments;
    var count = args.length;
    if (count < 1) {
      return false;
    }
    var gmt = false;
    if (args[count - 1] == "GMT") {
      gmt = true;
      count--;
    }
    var local = localNow();
    var hour = gmt ? utcNow().getUTCHours() : local.getUTCHours();
    if (count === 1) {
      return hour == args[0];
    }
    if (count === 2) {
      return args[0] <= hour && hour <= args[1];
    }
    var from = new Date(local.getTime());
    var to = new Date(local.getTime());
    if (count === 6) {
      from.setUTCSeconds(args[2]);
      to.setUTCSeconds(args[5]);
    } else if (count !== 4) {
      throw "timeRange: bad number of arguments";
    }
    var middle = count >> 1;
    from.setUTCHours(args[0]);
    from.setUTCMinutes(args[1]);
    to.setUTCHours(args[middle]);
    to.setUTCMinutes(args[middle + 1]);
    if (middle === 2) {
      to.setUTCSeconds(59);
    }
    return inRange(from, to, gmt ? toGmtFields(local) : local);
  }

  function alert(message) {
    var text = arguments.length === 0 ? "undefined" : String(message);
    if (state.alerts.length < MAX_ALERTS) {
      state.alerts.push(text.slice(0, MAX_ALERT_LENGTH));
    }
  }

  var helpers = {
    alert: alert,
    convert_addr: convert_addr,
    dateRange: dateRange,
    dnsDomainIs: dnsDomainIs,
    dnsDomainLevels: dnsDomainLevels,
    dnsResolve: dnsResolve,
    dnsResolveEx: dnsResolveEx,
    isInNet: isInNet,
    isInNetEx: isInNetEx,
    isPlainHostName: isPlainHostName,
    isResolvable: isResolvable,
    isResolvableEx: isResolvableEx,
    isValidIpAddress: isValidIpAddress,
    localHostOrDomainIs: localHostOrDomainIs,
    myIpAddress: myIpAddress,
    myIpAddressEx: myIpAddressEx,
    shExpMatch: shExpMatch,
    sortIpAddressList: sortIpAddressList,
    timeRange: timeRange,
    weekdayRange: weekdayRange,
    months: months,
    wdays: wdays
  };
  for (var name in helpers) {
    if (own(helpers, name)) {
      global[name] = helpers[name];
    }
  }

  return function controller(op, a, b) {
    if (op === "begin") {
      state = fresh(JSON.parse(a));
      return null;
    }
    if (op === "call") {
      var find = global.FindProxyForURL;
      if (typeof find !== "function") {
        return JSON.stringify({ok: false, error: "FindProxyForURL is undefined or not a function."});
      }
      var result = find(a, b);
      if (typeof result !== "string") {
        return JSON.stringify({ok: false, error: "FindProxyForURL() did not return a string."});
      }
      return JSON.stringify({ok: true, value: result});
    }
    if (op === "end") {
      return JSON.stringify({
        missing: state.missing,
        my: state.wantMy,
        myEx: state.wantMyEx,
        alerts: state.alerts
      });
    }
    throw new Error("unknown operation " + op);
  };
})(globalThis);
