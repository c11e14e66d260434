/**
 * A Server-Sent Events parser over a fetch body (the WHATWG event-stream format): `id`, `event` and
 * `data` fields (several `data` lines join with newlines), comments (`:`) ignored, one message per
 * blank line. No dependencies, so the client also works in a browser.
 */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let message: { id?: string; event?: string; data: string[] } = { data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      // A trailing "\r" may be the first half of "\r\n": keep it until more arrives.
      const lines = buffer.split(/\r\n|\r(?!$)|\n/);
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') {
          if (message.data.length || message.event) yield { id: message.id, event: message.event ?? 'message', data: message.data.join('\n') };
          message = { data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') message.data.push(value);
        else if (field === 'event') message.event = value;
        else if (field === 'id' && !value.includes('\0')) message.id = value;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
