"""The search record: search runs and their exports, de-duplicated records, screening
decisions, the search schedule, the PRISMA flow and the review's eligibility criteria as
checks."""
