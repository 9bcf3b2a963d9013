"""Output: charts in one house style, label fitting, images and the Cabinet pack."""
