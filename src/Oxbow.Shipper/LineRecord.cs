namespace Oxbow.Shipper;

/// <summary>
/// A complete line (or multi-line record) read from a source, without its newline. <see cref="End"/> is the offset in
/// the current file just after it: once the record is acknowledged, reading resumes there.
/// </summary>
internal readonly record struct LineRecord(byte[] Bytes, long End);
