namespace Mip.Stack.Iface;

/// <summary>A stack operation failed for a reason the caller can act on (see <see cref="Error"/>).</summary>
public sealed class StackException : Exception
{
    public StackException(StackError error, string message) : base(message) => Error = error;

    public StackException() : this(StackError.None, "Stack error") { }

    public StackException(string message) : this(StackError.None, message) { }

    public StackException(string message, Exception innerException) : base(message, innerException) { }

    public StackError Error { get; }
}
