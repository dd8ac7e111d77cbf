/** How one POST ended. */
export type PostResult =
  | { kind: 'response'; status: number; retryAfter: string | null; bodySnippet: string }
  | { kind: 'timeout' }
  | { kind: 'network_error'; message: string };

/** The fetch function (injected: tests and embedding may swap it). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

const SNIPPET_CHARS = 300;

function errorCode(err: unknown): string {
  // undici wraps the socket error as `cause` ("fetch failed" ← ECONNREFUSED, ECONNRESET, …).
  const cause = typeof err === 'object' && err !== null && 'cause' in err ? (err as { cause: unknown }).cause : undefined;
  for (const e of [cause, err]) {
    if (typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string') return (e as { code: string }).code;
  }
  return err instanceof Error ? err.name : 'unknown';
}

/**
 * POST `body` to `url` with `headers`, within `timeoutMs` for the whole exchange
 * (connect, request, response and its body). Redirects are not followed: the body is
 * signed for this URL, and a 3xx is reported as such. Never throws.
 */
export async function postWebhook(fetchImpl: FetchLike, url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetchImpl(url, { method: 'POST', body, headers, redirect: 'manual', signal });
    // Read the answer (it frees the connection for keep-alive); keep a snippet for the attempt record.
    const text = await res.text();
    return { kind: 'response', status: res.status, retryAfter: res.headers.get('retry-after'), bodySnippet: text.slice(0, SNIPPET_CHARS) };
  } catch (err) {
    if (signal.aborted) return { kind: 'timeout' };
    return { kind: 'network_error', message: errorCode(err) };
  }
}
