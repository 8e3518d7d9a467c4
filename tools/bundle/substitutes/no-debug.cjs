// Stands in for the `debug` package in function bundles: rhea's protocol tracing (DEBUG=rhea*)
// is off in functions, and the real package with its colour detection costs 10 KB.
"use strict";
function debug() {
  const log = () => {};
  log.enabled = false;
  return log;
}
module.exports = debug;
