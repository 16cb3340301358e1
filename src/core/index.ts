export * from "./envelope.js";
export * from "./errors.js";
export * from "./event-recorder.js";
export * from "./logistics-auth.js";
export * from "./logistics-envelope.js";
export * from "./receive.js";
export * from "./signature.js";
export * from "./verified-event.js";
