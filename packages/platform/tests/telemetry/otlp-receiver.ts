/** A span as an OTLP/HTTP JSON request carried it. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** `""` for a root span. */
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** A tiny OTLP/HTTP collector for tests: decodes `http/json` trace requests, counts every request. */
export interface OtlpReceiver {
  /** Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string;
  spans(): ReceivedSpan[];
  /** Resource attributes of every JSON request. */
  resources(): Record<string, unknown>[];
  /** Requests received on `/v1/traces` (any encoding, probes included). */
  requests(): number;
  /** `authorization` header of every request (`null` when absent). */
  authorizations(): (string | null)[];
  stop(): void;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

const anyValue = (v: AnyValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
const attributesOf = (list: KeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));

export function startOtlpReceiver(): OtlpReceiver {
  const spans: ReceivedSpan[] = [];
  const resources: Record<string, unknown>[] = [];
  let requests = 0;
  const authorizations: (string | null)[] = [];
  let stopped = false;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      if (new URL(request.url).pathname !== "/v1/traces" || request.method !== "POST") {
        return new Response("not found", { status: 404 });
      }
      requests++;
      authorizations.push(request.headers.get("authorization"));
      const body = await request.arrayBuffer();
      if ((request.headers.get("content-type") ?? "").includes("json") && body.byteLength > 0) {
        const decoded = JSON.parse(new TextDecoder().decode(body)) as {
          resourceSpans?: {
            resource?: { attributes?: KeyValue[] };
            scopeSpans?: {
              spans?: {
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                name: string;
                attributes?: KeyValue[];
              }[];
            }[];
          }[];
        };
        for (const rs of decoded.resourceSpans ?? []) {
          const resource = attributesOf(rs.resource?.attributes);
          resources.push(resource);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                service: String(resource["service.name"]),
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? "",
                name: s.name,
                attributes: attributesOf(s.attributes),
              });
            }
          }
        }
        return Response.json({});
      }
      return new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    spans: () => [...spans],
    resources: () => [...resources],
    requests: () => requests,
    authorizations: () => [...authorizations],
    stop() {
      if (stopped) return;
      stopped = true;
      server.stop(true);
    },
  };
}
