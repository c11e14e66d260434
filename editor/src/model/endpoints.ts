/** "nodeId.port" endpoints of pipeline edges. Node ids cannot hold a dot, but split at the last one anyway. */
export function splitEndpoint(endpoint: string): { node: string; port: string } {
  const dot = endpoint.lastIndexOf('.');
  return dot < 0 ? { node: endpoint, port: '' } : { node: endpoint.slice(0, dot), port: endpoint.slice(dot + 1) };
}

export function joinEndpoint(node: string, port: string): string {
  return `${node}.${port}`;
}
