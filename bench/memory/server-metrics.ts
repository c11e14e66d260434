/** The dev server's own view of its memory, from its Prometheus endpoint: the Go heap and the history caches. */

export interface ServerMetrics {
  /** Go heap in use, idle (kept from the OS) and returned to the OS, in MiB. */
  heapInuse: number;
  heapIdle: number;
  heapReleased: number;
  goroutines: number;
  /** Entries in the history service's mutable-state cache, and its capacity. */
  msCache: number;
  msCacheSize: number;
  /** Bytes in the events cache (KiB). */
  eventsCacheKiB: number;
}

function value(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

export async function serverMetrics(port: number): Promise<ServerMetrics> {
  let text = '';
  try {
    text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } catch {
    // not answering: NaN figures
  }
  const MiB = 1024 * 1024;
  // One Go process runs every service; its runtime figures are the same under each service label.
  const history = 'service_name="history"';
  return {
    heapInuse: value(text, 'memory_heapinuse', history) / MiB,
    heapIdle: value(text, 'memory_heapidle', history) / MiB,
    heapReleased: value(text, 'memory_heapreleased', history) / MiB,
    goroutines: value(text, 'num_goroutines', history),
    msCache: value(text, 'cache_usage', 'cache_type="mutablestate"'),
    msCacheSize: value(text, 'cache_size', 'cache_type="mutablestate"'),
    eventsCacheKiB: value(text, 'cache_usage', 'cache_type="events"') / 1024,
  };
}
