"""A household's life on the roster (issue 16): members leave with a date and a reason, heads change, members move
to another household, households end. Points never move here (households cannot import scoring): the services of
splits, merges and moving out live in scoring.services.life and call these."""
