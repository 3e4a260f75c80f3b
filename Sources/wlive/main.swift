print("wlive")
