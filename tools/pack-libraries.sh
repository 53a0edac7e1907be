#!/usr/bin/env bash
# Packs the libraries a .NET user references, BitOnnx.Core, BitOnnx.Engine, BitOnnx.Onnx and BitOnnx.ML, as NuGet
# packages (assembly, XML docs, README; BitOnnx.ML depends on the other three, BitOnnx.Onnx on Microsoft.ML.OnnxRuntime
# with its native library) into artifacts/packages, the local source that nuget.config maps BitOnnx.* to, or into
# the folder given:
#
#   ./tools/pack-libraries.sh [FOLDER]
#   dotnet add package BitOnnx.ML --version 0.1.0      (in a project whose nuget.config lists that folder)
#
# The version is the repository's (Directory.Build.props), so every pack of a checkout has the same id and version,
# and NuGet treats an id+version as immutable: a restore reuses the copy already extracted in the global packages
# folder (~/.nuget/packages, or $NUGET_PACKAGES). As tools/pack-tool.sh does for the tool, this script deletes that
# one version of these four packages from there after packing, so the next restore takes the fresh ones.
set -euo pipefail
cd "$(dirname "$0")/.."

output=${1:-artifacts/packages}
libraries=(BitOnnx.Core BitOnnx.Engine BitOnnx.Onnx BitOnnx.ML)

version=$(dotnet msbuild src/BitOnnx.ML -getProperty:Version)
if [ -z "$version" ]; then
  echo "tools/pack-libraries.sh: could not read the Version property (see Directory.Build.props)." >&2
  exit 1
fi

mkdir -p "$output"
# BitOnnx.ML references the other three: one build makes all four, then each is packed from that build.
dotnet build src/BitOnnx.ML -c Release -nologo -v quiet
for library in "${libraries[@]}"; do
  rm -f "$output/$library.$version.nupkg"
  dotnet pack "src/$library" -c Release --no-build -o "$output" -nologo -v quiet
done

global_packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')
global_packages=${global_packages%/}
for library in "${libraries[@]}"; do
  id=${library,,} # the global packages folder uses lower-case ids
  if [ -n "$global_packages" ] && [ -d "$global_packages/$id/$version" ]; then
    rm -rf "${global_packages:?}/$id/$version"
    echo "tools/pack-libraries.sh: removed the previously restored $id $version from $global_packages"
  fi
done
echo "tools/pack-libraries.sh: packed ${libraries[*]} $version into $output"
