using Mip.Cli;

return await Cli.Build().Parse(args).InvokeAsync();
