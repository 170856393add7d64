// Where the router is. `shopgraph dev` serves /config.json beside the
// storefront; under `vite` (or any static host without it) the router is
// assumed on port 4000 of the same host.
export interface StoreConfig {
  graphqlUrl: string;
  websocketUrl: string;
}

export async function loadConfig(): Promise<StoreConfig> {
  const fallback = `${location.protocol}//${location.hostname}:4000/graphql`;
  let graphqlUrl = (import.meta.env.VITE_GRAPHQL_URL as string | undefined) ?? fallback;
  try {
    const response = await fetch('/config.json', { cache: 'no-store' });
    if (response.ok) {
      const served = (await response.json()) as Partial<StoreConfig>;
      if (served.graphqlUrl) graphqlUrl = served.graphqlUrl;
      if (served.websocketUrl) return { graphqlUrl, websocketUrl: served.websocketUrl };
    }
  } catch {
    // No config.json: keep the default.
  }
  return { graphqlUrl, websocketUrl: graphqlUrl.replace(/^http/, 'ws') };
}
