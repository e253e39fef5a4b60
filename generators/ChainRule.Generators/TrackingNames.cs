namespace ChainRule.Generators;

/// <summary>Names of the pipeline steps, so tests can assert that an unrelated edit leaves them cached.</summary>
internal static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string Spec = nameof(Spec);
    public const string Plan = nameof(Plan);
    public const string Diagnostics = nameof(Diagnostics);
}
