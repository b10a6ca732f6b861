"""The platform's Redis: one client (single server or cluster), one key layout, and the
accounting every Redis operation goes through. Infrastructure: every app uses it, it uses none."""
