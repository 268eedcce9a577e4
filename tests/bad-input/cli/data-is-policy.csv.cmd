check policy.gj --data policy.gj --as-of 2017-06-30 --color never --lang en
