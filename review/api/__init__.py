"""The review REST API: panels (`panels`), rounds and their moves (`rounds`), what each step of a round takes and
shows (`steps`), the panel's decisions on declarations and objections (`decisions`). Shared pieces: `common`."""
