import LoupeCLI

// The `loupe` executable: the command line lives in the LoupeCLI library, where it is tested.
LoupeCLI.main(Array(CommandLine.arguments.dropFirst()))
