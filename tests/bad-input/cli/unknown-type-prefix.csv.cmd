check policy.gj --data hosehold={} --as-of 2017-06-30 --color never --lang en
