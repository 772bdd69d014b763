"""Sources that turn outside files (schedule exports, transcripts) into records."""
