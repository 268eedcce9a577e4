check policy.gj --data {} --as-of 2017-02-30 --color never --lang en
