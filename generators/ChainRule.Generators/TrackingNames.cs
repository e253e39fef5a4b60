namespace ChainRule.Generators;

/// <summary>Names of the pipeline steps, so tests can assert that an unrelated edit leaves them cached.</summary>
internal static class TrackingNames
{
    public const string Parse = nameof(Parse);

    /// <summary>Each model lowered once: its plan with the gradient-flow estimate, its parse diagnostics and layer sites.</summary>
    public const string Lower = nameof(Lower);

    /// <summary>The plans alone, which the source output reads: moving a declaration changes its sites, not its plan.</summary>
    public const string Plan = nameof(Plan);

    public const string Diagnostics = nameof(Diagnostics);
}
