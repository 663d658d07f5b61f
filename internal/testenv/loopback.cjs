// Preloaded (node -r) into test servers that have no setting for the
// address they listen on: every listen is confined to 127.0.0.1, so that
// nothing of the test run is reachable from another machine.
"use strict";
const net = require("net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const a = args[0];
  if (a !== null && typeof a === "object" && !Array.isArray(a)) {
    if (a.path === undefined) args[0] = Object.assign({}, a, { host: "127.0.0.1" });
  } else if (typeof a === "number" || (typeof a === "string" && /^\d+$/.test(a))) {
    // listen(port[, host][, backlog][, cb]): replace or insert the host
    if (typeof args[1] === "string") args[1] = "127.0.0.1";
    else args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
