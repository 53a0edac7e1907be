namespace BitOnnx.Analysis;

/// <summary>Progress of a long analysis: the stage running and how far it is (0..1), for a CLI progress bar.</summary>
public readonly record struct AnalysisProgress(string Stage, double Fraction);
