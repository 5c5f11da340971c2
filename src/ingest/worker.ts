// Worker thread entry for first reads of large files (placeholder until ingest lands).
export {};
