using Mip.Stack;

namespace Mip.Server.Grpc;

/// <summary>A socket whose stack queue the loop moves into its call's queue after every poll.</summary>
internal interface IPolledSocket
{
    void Drain(Instant now);
}
