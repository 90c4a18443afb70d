// IP address helpers shared by cdpsession's PAC library (_pac_library.js) and the PAC script
// compiled from fixed proxy rules (_proxy_config.py), which Chromium runs alone: each pastes
// this file inside its own function scope (the /*IP_FUNCTIONS*/ line).
  // A dotted-quad IPv4 address (inside an IPv6 literal, or a canonical URL host): four
  // decimal parts, no leading zeros.
  function dottedQuadBytes(text) {
    var parts = text.split(".");
    if (parts.length !== 4) {
      return null;
    }
    var bytes = [];
    for (var i = 0; i < 4; i++) {
      if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i]) || parseInt(parts[i], 10) > 255) {
        return null;
      }
      bytes.push(parseInt(parts[i], 10));
    }
    return bytes;
  }

  function ipv6Bytes(text) {
    var halves = text.split("::");
    if (halves.length > 2) {
      return null;
    }
    var sides = [];
    for (var h = 0; h < halves.length; h++) {
      var side = [];
      var pieces = halves[h] === "" ? [] : halves[h].split(":");
      for (var i = 0; i < pieces.length; i++) {
        if (h === halves.length - 1 && i === pieces.length - 1 && pieces[i].indexOf(".") >= 0) {
          var v4 = dottedQuadBytes(pieces[i]);
          if (v4 === null) {
            return null;
          }
          side.push(v4[0] * 256 + v4[1], v4[2] * 256 + v4[3]);
        } else if (/^[0-9a-fA-F]{1,4}$/.test(pieces[i])) {
          side.push(parseInt(pieces[i], 16));
        } else {
          return null;
        }
      }
      sides.push(side);
    }
    var groups;
    if (sides.length === 1) {
      if (sides[0].length !== 8) {
        return null;
      }
      groups = sides[0];
    } else {
      var gap = 8 - sides[0].length - sides[1].length;
      if (gap < 1) {
        return null;
      }
      groups = sides[0].slice();
      while (gap-- > 0) {
        groups.push(0);
      }
      groups = groups.concat(sides[1]);
    }
    var bytes = [];
    for (var g = 0; g < 8; g++) {
      bytes.push(groups[g] >> 8, groups[g] & 255);
    }
    return bytes;
  }

  function mapped(v4) {
    return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255].concat(v4);
  }

  // IPAddressMatchesPrefix, comparing IPv4 with IPv6 through the IPv4-mapped form.
  function matchesPrefix(address, prefix, bits) {
    if (address.length !== prefix.length) {
      if (address.length === 4) {
        address = mapped(address);
      } else {
        prefix = mapped(prefix);
        bits += 96;
      }
    }
    for (var i = 0; i < address.length && bits > 0; i++, bits -= 8) {
      var mask = bits >= 8 ? 255 : (0xff00 >> bits) & 255;
      if ((address[i] & mask) !== (prefix[i] & mask)) {
        return false;
      }
    }
    return true;
  }

