# mip-server in a container. Build: docker build -t mipgrpc .
# tests/Mip.EndToEnd.Tests/Packaging/DockerfileBuildStageTests runs this file's build stage without Docker (copies
# and commands as written), so a missing COPY fails the suite even where no container engine exists.
# Run (see the README, "Running in a container"): the container needs NET_RAW (libpcap capture and inject) and
# NET_ADMIN (promiscuous mode, capture direction), and an --interface: none is chosen for you.

# --- build: restore against the project files only, so the restore layer is cached across source edits
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Mip.Stack/Mip.Stack.csproj src/Mip.Stack/
COPY src/Mip.Stack.Pcap/Mip.Stack.Pcap.csproj src/Mip.Stack.Pcap/
COPY src/Mip.Server/Mip.Server.csproj src/Mip.Server/
COPY clients/Mip.Client/Mip.Client.csproj clients/Mip.Client/
RUN dotnet restore src/Mip.Server/Mip.Server.csproj
# The server's gRPC contracts come from the client library's project, generated from protos/.
COPY protos/ protos/
COPY clients/Mip.Client/ clients/Mip.Client/
COPY src/ src/
RUN dotnet publish src/Mip.Server/Mip.Server.csproj -c Release --no-restore -o /app

# --- runtime: ASP.NET Core runtime plus libpcap (SharpPcap loads libpcap.so.0.8; the -dev package is not needed)
FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpcap0.8 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# The container is its own network namespace: listen on its interfaces, or nothing outside it reaches the service
# (outside a container the default stays 127.0.0.1). Publish the ports with -p; set MIP_TOKEN to require a token.
ENV MIP_Mip__GrpcAddress=0.0.0.0
EXPOSE 50051 9464
ENTRYPOINT ["dotnet", "mip-server.dll"]
