//! The five CDK languages `cargo xtask cdk --lang` can write, and where each one's stack
//! source goes. Only TypeScript is checked in (templates/cdk/typescript/, a runnable app);
//! the others are written on request, stack class only.

use std::fmt;

/// A CDK language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Typescript,
    Python,
    Go,
    Java,
    Csharp,
}

impl Lang {
    pub const ALL: [Lang; 5] = [
        Lang::Typescript,
        Lang::Python,
        Lang::Go,
        Lang::Java,
        Lang::Csharp,
    ];

    /// The stack source file, relative to the app folder, named as the language's CDK
    /// project templates (`cdk init`) name it.
    pub fn stack_file(self) -> &'static str {
        match self {
            Lang::Typescript => "lib/author-stats-batch-stack.ts",
            Lang::Python => "author_stats_batch/author_stats_batch_stack.py",
            Lang::Go => "author_stats_batch_stack.go",
            Lang::Java => "src/main/java/com/example/authorstats/AuthorStatsBatchStack.java",
            Lang::Csharp => "src/AuthorStatsBatch/AuthorStatsBatchStack.cs",
        }
    }

    /// How a line comment starts.
    pub fn comment(self) -> &'static str {
        match self {
            Lang::Python => "#",
            _ => "//",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::Typescript => "typescript",
            Lang::Python => "python",
            Lang::Go => "go",
            Lang::Java => "java",
            Lang::Csharp => "csharp",
        })
    }
}
