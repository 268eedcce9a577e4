check policy.gj --data {} --jobs 0 --as-of 2017-06-30 --color never --lang en
