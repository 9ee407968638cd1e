namespace np {}
