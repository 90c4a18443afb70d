// cdpsession's helper extension. Python drives it with Runtime.evaluate on this worker's
// CDP session; capabilities that need extension APIs add their permissions and functions here.
self.cdpsession = { version: 1 };
