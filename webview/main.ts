// Dashboard entry (placeholder until the dashboard issue lands).
export {};
