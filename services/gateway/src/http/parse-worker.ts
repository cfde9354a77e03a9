import { encodeInput, type ManifestJob, manifestInput } from "./manifest-input.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ job: ManifestJob }>) => {
  self.postMessage({ input: encodeInput(manifestInput(event.data.job)) });
};
self.postMessage({ ready: true });
