using BitOnnx.Cli;

return CliRunner.Run(BitOnnxCommand.Create(), args);
