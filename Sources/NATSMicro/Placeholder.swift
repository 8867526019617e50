// Placeholder: filled in by issue work.
