// Starts Blazor with the circuit's keep-alive from the server (Workbench:Presence:TimeoutSeconds): the browser pings at
// least that often, so the server closes only a connection that went silent, and a page that went away leaves the
// presence list within the timeout.
const keepAliveMs = Number(document.currentScript.dataset.keepAliveMs) || 15000;
Blazor.start({
  circuit: {
    configureSignalR: (builder) => builder.withKeepAliveInterval(keepAliveMs),
  },
});
