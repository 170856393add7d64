// Starts GraphiQL with the settings the router put in the page. Served from
// the router (no inline script), so the page's CSP can allow only 'self'.
(() => {
  const config = JSON.parse(document.getElementById('graphiql-config').textContent);
  const endpoint = new URL(window.location.pathname, window.location.origin);
  const socket = new URL(endpoint);
  socket.protocol = socket.protocol === 'https:' ? 'wss:' : 'ws:';
  const plugins = [GraphiQLPluginExplorer.explorerPlugin()];
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({
        url: endpoint.toString(),
        // Browsers cannot set headers on a WebSocket: GraphiQL sends the
        // Headers tab (e.g. {"Authorization": "Bearer …"}) as the payload
        // of connection_init, where the router reads it.
        subscriptionUrl: socket.toString(),
      }),
      defaultQuery: config.defaultDocument ?? undefined,
      defaultHeaders: config.defaultHeaders ?? undefined,
      plugins,
      defaultEditorToolsVisibility: true,
    }),
  );
})();
