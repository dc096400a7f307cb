document.getElementById('details').addEventListener('click', function () {
  document.getElementById('clicked').hidden = false;
});
