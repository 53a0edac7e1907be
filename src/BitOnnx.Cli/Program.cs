using BitOnnx.Cli;
using Spectre.Console;

if (Console.IsOutputRedirected)
{
    // Logs and pipes get plain text at a readable width instead of escape codes wrapped at 80 columns.
    AnsiConsole.Profile.Capabilities.Ansi = false;
    AnsiConsole.Profile.Width = 160;
}
return CliRunner.Run(BitOnnxCommand.Create(), args);
