/** A page or asset of the console or the API reference: no caching surprises, no sniffing, its own CSP. */
export function staticAsset(body: string | Uint8Array, type: string, csp: string): Response {
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": type,
      "Cache-Control": "no-cache",
      "Content-Security-Policy": csp,
      "X-Content-Type-Options": "nosniff",
    },
  });
}
