// cfssl's Go flags are single-dash words ("-ca-key ca-key.pem"); CLI11 reads
// only "--ca-key". Existing unit files run `cfssl serve -address ... -port ...`.
#pragma once

namespace trustplane::cli {

// For `trustplane [global options] ca serve ...`: rewrites every later
// single-dash argument of more than one letter ("-port", "-ca-key=x") to its
// double-dash form, in place. Other command lines are left alone. The new
// strings live until the process exits.
void NormalizeCfsslFlags(int argc, char** argv);

}  // namespace trustplane::cli
