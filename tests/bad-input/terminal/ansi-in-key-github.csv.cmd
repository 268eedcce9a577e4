check policy.gj --data {} --as-of 2017-06-30 --format github
