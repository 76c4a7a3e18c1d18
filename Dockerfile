# mip-server in a container. Build: docker build -t mipgrpc .
# Run (see the README, "Running in a container"): the container needs NET_RAW (libpcap capture and inject) and
# NET_ADMIN (promiscuous mode, capture direction), and an --interface: none is chosen for you.

# --- build: restore against the project files only, so the restore layer is cached across source edits
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Mip.Stack/Mip.Stack.csproj src/Mip.Stack/
COPY src/Mip.Stack.Pcap/Mip.Stack.Pcap.csproj src/Mip.Stack.Pcap/
COPY src/Mip.Server/Mip.Server.csproj src/Mip.Server/
RUN dotnet restore src/Mip.Server/Mip.Server.csproj
COPY src/ src/
RUN dotnet publish src/Mip.Server/Mip.Server.csproj -c Release --no-restore -o /app

# --- runtime: ASP.NET Core runtime plus libpcap (SharpPcap loads libpcap.so.0.8; the -dev package is not needed)
FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpcap0.8 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
ENTRYPOINT ["dotnet", "mip-server.dll"]
