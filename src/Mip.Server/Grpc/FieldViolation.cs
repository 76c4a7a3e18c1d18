namespace Mip.Server.Grpc;

/// <summary>One invalid request field (a <c>google.rpc.BadRequest.FieldViolation</c>), e.g. ("count", "must be 1-10000").</summary>
internal readonly record struct FieldViolation(string Field, string Description);
