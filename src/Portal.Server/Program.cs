return await Portal.Server.PortalServer.RunAsync(args).ConfigureAwait(false);
